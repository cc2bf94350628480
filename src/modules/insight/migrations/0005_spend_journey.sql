-- Spend may also be entered for a journey (客户旅程): its key is the journey id, and its GMV what the outreach
-- engine credited to the journey's touches.
alter table insight_spend drop constraint insight_spend_target_kind_check;
alter table insight_spend add constraint insight_spend_target_kind_check
  check (target_kind in ('channel', 'method', 'campaign', 'journey'));
