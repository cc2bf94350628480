-- Whom a send to a customer can go through: their active follows by active staff, latest first (added_at
-- desc, then staff id), as the staff, their units and their journey roles side by side. The sender rule picks
-- from these arrays (senders.ts), so planning a send to a whole brand joins one row per customer, in parallel
-- workers, instead of sorting every follow (for 1M customers that sort was 2.2 s of a 7–9 s plan). Kept by
-- the triggers below on every change of follows and of a staff member's status, unit or role; a customer
-- without such a follow has no row.
create table sender_candidates (
  corp_id text not null,
  customer_id bigint not null,
  staff_ids bigint[] not null,
  unit_ids bigint[] not null,
  roles text[] not null,
  primary key (corp_id, customer_id)
);

-- Recomputes the rows of the customers (corps[i], customers[i]). It runs for every follow an add inserts, so it
-- keeps one plan per session: PL/pgSQL (an SQL function plans its statements on each call), and the generic
-- plan forced (PostgreSQL otherwise judged it dearer than planning for the values, ~10 times what it runs
-- for: the trigger cost an inserted follow ~0.5 ms of the server, now 0.1–0.15 ms).
create function sender_candidates_refresh(corps text[], customers bigint[]) returns void language plpgsql
set plan_cache_mode = force_generic_plan as $$
begin
  delete from sender_candidates x
  using unnest(corps, customers) as k(corp_id, customer_id)
  where x.corp_id = k.corp_id and x.customer_id = k.customer_id;
  insert into sender_candidates (corp_id, customer_id, staff_ids, unit_ids, roles)
  select f.corp_id, f.customer_id,
    array_agg(f.staff_id order by f.added_at desc, f.staff_id),
    array_agg(s.unit_id order by f.added_at desc, f.staff_id),
    array_agg(s.journey_role order by f.added_at desc, f.staff_id)
  from (select distinct * from unnest(corps, customers) as k(corp_id, customer_id)) k
  join follows f on f.corp_id = k.corp_id and f.customer_id = k.customer_id
  join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
  where f.status = 'active' and s.status = 'active'
  group by f.corp_id, f.customer_id;
end
$$;

-- Follows added, changed (ended, moved, re-dated; a sync rewrites rows unchanged, which count for nothing)
-- or removed: their customers. One trigger per event (a trigger with transition tables takes one event); the
-- refresh is called only when there is something to do (an add also updates the follow it inserted).
create function sender_candidates_of_follows() returns trigger language plpgsql as $$
declare
  corps text[];
  customers bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(corp_id), array_agg(customer_id) into corps, customers from new_rows where status = 'active';
  elsif tg_op = 'UPDATE' then
    select array_agg(k.corp_id), array_agg(k.customer_id) into corps, customers
    from old_rows o
    join new_rows n on n.corp_id = o.corp_id and n.id = o.id
    cross join lateral (values (o.corp_id, o.customer_id), (n.corp_id, n.customer_id)) k(corp_id, customer_id)
    where o.status is distinct from n.status or o.staff_id is distinct from n.staff_id
      or o.customer_id is distinct from n.customer_id or o.added_at is distinct from n.added_at;
  else
    select array_agg(corp_id), array_agg(customer_id) into corps, customers from old_rows where status = 'active';
  end if;
  if customers is not null then
    perform sender_candidates_refresh(corps, customers);
  end if;
  return null;
end
$$;
create trigger sender_candidates_follows_insert after insert on follows
  referencing new table as new_rows for each statement execute function sender_candidates_of_follows();
create trigger sender_candidates_follows_update after update on follows
  referencing old table as old_rows new table as new_rows for each statement execute function sender_candidates_of_follows();
create trigger sender_candidates_follows_delete after delete on follows
  referencing old table as old_rows for each statement execute function sender_candidates_of_follows();

-- A staff member left, was disabled or came back, moved to another unit or took another journey role: the
-- customers they follow.
create function sender_candidates_of_staff() returns trigger language plpgsql as $$
declare
  corps text[];
  customers bigint[];
begin
  select array_agg(f.corp_id), array_agg(f.customer_id) into corps, customers
  from old_rows o
  join new_rows n on n.corp_id = o.corp_id and n.id = o.id
  join follows f on f.corp_id = n.corp_id and f.staff_id = n.id and f.status = 'active'
  where o.status is distinct from n.status or o.unit_id is distinct from n.unit_id
    or o.journey_role is distinct from n.journey_role;
  if customers is not null then
    perform sender_candidates_refresh(corps, customers);
  end if;
  return null;
end
$$;
create trigger sender_candidates_staff_update after update on staff
  referencing old table as old_rows new table as new_rows for each statement execute function sender_candidates_of_staff();

-- Rebuilds a brand's rows from all its follows in one pass (a database upgraded in place, or loaded in bulk
-- with triggers off).
create function sender_candidates_rebuild(corp text) returns void language sql as $$
  delete from sender_candidates where corp_id = corp;
  insert into sender_candidates (corp_id, customer_id, staff_ids, unit_ids, roles)
  select f.corp_id, f.customer_id,
    array_agg(f.staff_id order by f.added_at desc, f.staff_id),
    array_agg(s.unit_id order by f.added_at desc, f.staff_id),
    array_agg(s.journey_role order by f.added_at desc, f.staff_id)
  from follows f
  join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
  where f.corp_id = corp and f.status = 'active' and s.status = 'active'
  group by f.corp_id, f.customer_id;
$$;

-- the follows there are already
select sender_candidates_rebuild(corp_id) from corps;
