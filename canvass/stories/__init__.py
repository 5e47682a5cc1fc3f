"""The application's stories, one module each, told alike for the command line and the web.

- `reconcile`: compare the paper in force with every source and bring the review queue up
  to date, for the election, one precinct, or the precinct of a photo just read (reading
  itself is `ingest.queue.read_queued`; whoever reads reconciles after it);
- `review`: claim an item, decide it under the decision policy, release it;
- `certify`: sign off a county or the state, say what reopening would change, reopen;
  `late_evidence`: what arrived after a sign-off;
- `results`: the results everyone is shown (a certified county's as signed).

Each loads typed values through the store's adapters, hands them to the pure stages
(`reconcile`, `canvass.policy`) and stores what comes back; none holds SQL.
"""
