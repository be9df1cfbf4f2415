"""The demo kit: everything that runs certbot without real platforms or real feeds.

- `run`: ``python -m certbot demo`` (one offline cycle on examples/demo/) and ``demo --fakes``;
- `cycle`: the cycle both demos share (poll, send, fold digests, send again);
- `with_fakes`: the chat targets sent through the real channels to the local fakes;
- `loop`: the two-way loop of ``demo --fakes`` (acknowledgements from Telegram, Slack, a link);
- `fakes` (with `fake_base` and `fake_platforms`): local protocol fakes for Slack, Teams and
  Telegram, used by the tests too; ``python -m certbot.demo.fakes`` starts them;
- `sendtest`: ``send-test``, one marked test message through each target of a municipality.

Nothing outside this package and the tests imports it, except the CLI.
"""
