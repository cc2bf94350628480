-- The sender claims pending rows welcome lane first, then by id (outbox.ts LANE_ORDER: the expression here
-- must stay the same). In that order through this index a claim stops after the rows it takes; without it,
-- every claim sorted the whole backlog (20,000 pending bulk rows: 28 ms a claim, welcomes waiting behind).
create index wecom_outbox_pending on wecom_outbox
  ((case lane when 'welcome' then 0 when 'normal' then 1 else 2 end), id) where status = 'pending';
