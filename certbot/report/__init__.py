"""The weekly report for municipal leadership (issue 14.4).

One page for a kommunedirektør about one ISO week: how many vulnerabilities concerned the
municipality and how many were serious, how many were handled within their deadline, what is
overdue and what that means, how the municipality compares with its county and the sector
median (no other municipality named), a 12-week trend chart and a recommendation.

- `weeks`: ISO weeks in Europe/Oslo.
- `figures`: the numbers, computed from the store's `report_alerts` rows (pure), with case
  titles above the reader's TLP clearance withheld.
- `chart`: the 12-week trend as a PNG (Pillow): Outlook shows no SVG.
- `render`: Jinja2 (autoescape) over ``templates/report/``: the page, the chat summary (one
  markup; the words in ``templates/report/<lang>.toml``).
- `pdf`: the page printed to PDF by headless chromium.
- `weekly`: the scheduled send to ``role: leadership`` targets through the outbox.
- `commands`: the ``report`` command line.
"""
