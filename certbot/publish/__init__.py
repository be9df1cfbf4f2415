"""The team's own advisories: drafts (`draft`), publishing them through the same match ->
priority -> TLP -> outbox path as every other advisory, the CSAF 2.0 writer and the trusted
provider tree that another certbot can consume."""
