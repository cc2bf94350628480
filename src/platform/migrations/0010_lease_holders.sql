-- Leases are short (5 s) and name their holder, a process incarnation, which renews them while it lives: a
-- row whose worker was killed is free again within seconds, so a restarted or another worker still meets
-- WeCom's 20 s welcome window (it waited for a 60 s lease before). The holder also tells an attempt in flight
-- from one whose worker died: an outbox row claimed and never given an outcome may have reached WeCom.
alter table wecom_inbox add column claimed_by text;
alter table domain_event_deliveries add column claimed_by text;
alter table wecom_outbox add column claimed_by text;
-- An earlier attempt's answer was lost (its worker died after claiming it): the call may have been accepted.
alter table wecom_outbox add column outcome_lost boolean not null default false;
-- 'unknown': the outcome cannot be known (sent, and its answer never recorded), as opposed to 'expired'
-- (never sent before its deadline) and 'failed' (WeCom refused it).
alter table wecom_outbox drop constraint wecom_outbox_status_check;
alter table wecom_outbox add constraint wecom_outbox_status_check
  check (status in ('pending', 'done', 'failed', 'expired', 'unknown'));
