-- What the persona roll-up groups every member by, kept per member: the lowest store (unit of an owner) of
-- the active groups they are in now, their customer, and whether they are `single` — in one store's groups as
-- one customer, as nearly everyone is, so the roll-up counts them in that store and adds the stores up the
-- tree without reading their memberships. Kept by the triggers below on every change of memberships, of a
-- group's owner or status, and of a staff member's unit; a member in no active group with an owner has no row.
create table group_member_units (
  corp_id text not null,
  member_key text not null,
  unit_id bigint not null,
  customer_id bigint,
  single boolean not null,
  primary key (corp_id, member_key)
);
create index group_member_units_several on group_member_units (corp_id) where not single;
create index group_members_member on group_members (corp_id, member_key);

-- Recomputes the rows of the members (corp_id, member_key) listed in `members`.
create function group_member_units_refresh(members jsonb) returns void language sql as $$
  delete from group_member_units x
  using jsonb_to_recordset(members) as k(corp_id text, member_key text)
  where x.corp_id = k.corp_id and x.member_key = k.member_key;
  insert into group_member_units (corp_id, member_key, unit_id, customer_id, single)
  select m.corp_id, m.member_key, min(os.unit_id), min(m.customer_id),
    min(os.unit_id) = max(os.unit_id) and min(m.customer_id) is not distinct from max(m.customer_id)
  from (select distinct * from jsonb_to_recordset(members) as k(corp_id text, member_key text)) k
  join group_members m on m.corp_id = k.corp_id and m.member_key = k.member_key
  join groups g on g.corp_id = m.corp_id and g.id = m.group_id
  join staff os on os.corp_id = g.corp_id and os.id = g.owner_staff_id
  where m.member_type = 2 and m.left_at is null and g.status = 'active'
  group by m.corp_id, m.member_key;
$$;

-- Memberships added, changed (left, relinked: a sync rewrites rows unchanged, which count for nothing) or
-- removed: their members. One trigger per event (a trigger with transition tables takes one event).
create function group_member_units_of_members() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform group_member_units_refresh((
      select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'member_key', member_key))
      from new_rows where member_type = 2));
  elsif tg_op = 'UPDATE' then
    perform group_member_units_refresh((
      select jsonb_agg(jsonb_build_object('corp_id', n.corp_id, 'member_key', n.member_key))
      from old_rows o join new_rows n
        on n.corp_id = o.corp_id and n.group_id = o.group_id and n.member_key = o.member_key
      where (o.member_type = 2 or n.member_type = 2)
        and (o.left_at is distinct from n.left_at or o.customer_id is distinct from n.customer_id
          or o.member_type <> n.member_type)));
  else
    perform group_member_units_refresh((
      select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'member_key', member_key))
      from old_rows where member_type = 2));
  end if;
  return null;
end
$$;
create trigger group_member_units_members_insert after insert on group_members
  referencing new table as new_rows for each statement execute function group_member_units_of_members();
create trigger group_member_units_members_update after update on group_members
  referencing old table as old_rows new table as new_rows for each statement execute function group_member_units_of_members();
create trigger group_member_units_members_delete after delete on group_members
  referencing old table as old_rows for each statement execute function group_member_units_of_members();

-- A group's owner or status changed (transferred, dismissed): its current members.
create function group_member_units_of_groups() returns trigger language plpgsql as $$
begin
  perform group_member_units_refresh((
    select jsonb_agg(jsonb_build_object('corp_id', m.corp_id, 'member_key', m.member_key))
    from old_rows o
    join new_rows n on n.corp_id = o.corp_id and n.id = o.id
    join group_members m on m.corp_id = n.corp_id and m.group_id = n.id
    where m.member_type = 2 and m.left_at is null
      and (o.owner_staff_id is distinct from n.owner_staff_id or o.status is distinct from n.status)));
  return null;
end
$$;
create trigger group_member_units_groups_update after update on groups
  referencing old table as old_rows new table as new_rows for each statement execute function group_member_units_of_groups();

-- A staff member moved to another unit: the current members of the groups they own.
create function group_member_units_of_staff() returns trigger language plpgsql as $$
begin
  perform group_member_units_refresh((
    select jsonb_agg(jsonb_build_object('corp_id', m.corp_id, 'member_key', m.member_key))
    from old_rows o
    join new_rows n on n.corp_id = o.corp_id and n.id = o.id
    join groups g on g.corp_id = n.corp_id and g.owner_staff_id = n.id
    join group_members m on m.corp_id = g.corp_id and m.group_id = g.id
    where m.member_type = 2 and m.left_at is null and o.unit_id is distinct from n.unit_id));
  return null;
end
$$;
create trigger group_member_units_staff_update after update on staff
  referencing old table as old_rows new table as new_rows for each statement execute function group_member_units_of_staff();

-- Rebuilds a brand's rows from all its memberships in one pass (a database upgraded in place, or loaded in
-- bulk with triggers off).
create function group_member_units_rebuild(corp text) returns void language sql as $$
  delete from group_member_units where corp_id = corp;
  insert into group_member_units (corp_id, member_key, unit_id, customer_id, single)
  select m.corp_id, m.member_key, min(os.unit_id), min(m.customer_id),
    min(os.unit_id) = max(os.unit_id) and min(m.customer_id) is not distinct from max(m.customer_id)
  from group_members m
  join groups g on g.corp_id = m.corp_id and g.id = m.group_id
  join staff os on os.corp_id = g.corp_id and os.id = g.owner_staff_id
  where m.corp_id = corp and m.member_type = 2 and m.left_at is null and g.status = 'active'
  group by m.corp_id, m.member_key;
$$;

-- the members there are already
select group_member_units_rebuild(corp_id) from (select distinct corp_id from group_members) c;
