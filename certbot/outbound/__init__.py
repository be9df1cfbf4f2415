"""The outbound side: sending what planning put in the outbox (`dispatch`), the operator
notices every part of the service plans (`notices`), signed ack/status links (`links`) and the
escalation ladder for unacknowledged P1 alerts (`escalation`)."""
