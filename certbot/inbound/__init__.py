"""Inbound: chat platforms and signed links talking back to certbot (issue 5).

A platform module (`telegram`, `slack`, `web`) turns its events into `Command`s; `commands`
authorises, runs and audits them and returns a `Reply`; `service` starts the platforms the
configuration enables. There is no registry here: `service.start_inbound` names the three.
"""
