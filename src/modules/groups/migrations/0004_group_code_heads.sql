-- What smart routing picks from, per unit: of the unit's active codes with a QR, over their active groups,
-- the first (by code, then position) of each group type and retired state. Kept by the triggers below on
-- every change of codes, their groups and the groups' type or status, so a routing decision reads a few
-- rows per unit of its chains instead of every code of its stores (400 a store in the benchmark).
create table group_code_heads (
  corp_id text not null,
  unit_id bigint not null,
  group_type text,
  retired boolean not null,
  code_id bigint not null,
  group_id bigint not null,
  position integer not null,
  primary key (corp_id, unit_id, code_id, group_id)
);
-- one head per unit, type (or none) and retired state
create unique index group_code_heads_key on group_code_heads (corp_id, unit_id, coalesce(group_type, ''), retired);

-- Recomputes the heads of the units (corp_id, unit_id) listed in `units`.
create function group_code_heads_refresh(units jsonb) returns void language sql as $$
  delete from group_code_heads h
  using jsonb_to_recordset(units) as u(corp_id text, unit_id bigint)
  where h.corp_id = u.corp_id and h.unit_id = u.unit_id;
  insert into group_code_heads (corp_id, unit_id, group_type, retired, code_id, group_id, position)
  select distinct on (k.corp_id, k.unit_id, g.type, cg.retired_at is not null)
    k.corp_id, k.unit_id, g.type, cg.retired_at is not null, k.id, g.id, cg.position
  from (select distinct * from jsonb_to_recordset(units) as u(corp_id text, unit_id bigint)) u
  join group_codes k on k.corp_id = u.corp_id and k.unit_id = u.unit_id
  join group_code_groups cg on cg.corp_id = k.corp_id and cg.code_id = k.id
  join groups g on g.corp_id = cg.corp_id and g.id = cg.group_id
  where k.status = 'active' and k.qr_code is not null and g.status = 'active'
  order by k.corp_id, k.unit_id, g.type, cg.retired_at is not null, k.id, cg.position;
$$;

-- One trigger per table and event (a trigger with transition tables takes one event); each statement
-- refreshes the units it touched once, however many rows it wrote.
create function group_code_heads_of_codes() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    perform group_code_heads_refresh((select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'unit_id', unit_id)) from new_rows));
  elsif tg_op = 'UPDATE' then
    perform group_code_heads_refresh((select jsonb_agg(jsonb_build_object('corp_id', x.corp_id, 'unit_id', x.unit_id))
      from (select corp_id, unit_id from old_rows union select corp_id, unit_id from new_rows) x));
  else
    perform group_code_heads_refresh((select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'unit_id', unit_id)) from old_rows));
  end if;
  return null;
end
$$;
create trigger group_code_heads_codes_insert after insert on group_codes
  referencing new table as new_rows for each statement execute function group_code_heads_of_codes();
create trigger group_code_heads_codes_update after update on group_codes
  referencing old table as old_rows new table as new_rows for each statement execute function group_code_heads_of_codes();
create trigger group_code_heads_codes_delete after delete on group_codes
  referencing old table as old_rows for each statement execute function group_code_heads_of_codes();

-- A code's groups listed, retired, reordered or removed: the code's unit.
create function group_code_heads_of_code_groups() returns trigger language plpgsql as $$
declare codes jsonb;
begin
  if tg_op = 'INSERT' then
    codes := (select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'code_id', code_id)) from new_rows);
  elsif tg_op = 'UPDATE' then
    codes := (select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'code_id', code_id))
      from (select corp_id, code_id from old_rows union all select corp_id, code_id from new_rows) x);
  else
    codes := (select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'code_id', code_id)) from old_rows);
  end if;
  perform group_code_heads_refresh((
    select jsonb_agg(distinct jsonb_build_object('corp_id', k.corp_id, 'unit_id', k.unit_id))
    from jsonb_to_recordset(codes) as c(corp_id text, code_id bigint)
    join group_codes k on k.corp_id = c.corp_id and k.id = c.code_id));
  return null;
end
$$;
create trigger group_code_heads_code_groups_insert after insert on group_code_groups
  referencing new table as new_rows for each statement execute function group_code_heads_of_code_groups();
create trigger group_code_heads_code_groups_update after update on group_code_groups
  referencing old table as old_rows new table as new_rows for each statement execute function group_code_heads_of_code_groups();
create trigger group_code_heads_code_groups_delete after delete on group_code_groups
  referencing old table as old_rows for each statement execute function group_code_heads_of_code_groups();

-- A group's type or status changed (a sync rewrites the row every time: only real changes count): the units
-- of the codes that list it. A group is deleted only after its codes' lists, so deletes need nothing.
create function group_code_heads_of_groups() returns trigger language plpgsql as $$
begin
  perform group_code_heads_refresh((
    select jsonb_agg(distinct jsonb_build_object('corp_id', k.corp_id, 'unit_id', k.unit_id))
    from old_rows o
    join new_rows n on n.corp_id = o.corp_id and n.id = o.id
    join group_code_groups cg on cg.corp_id = n.corp_id and cg.group_id = n.id
    join group_codes k on k.corp_id = cg.corp_id and k.id = cg.code_id
    where o.type is distinct from n.type or o.status is distinct from n.status));
  return null;
end
$$;
create trigger group_code_heads_groups_update after update on groups
  referencing old table as old_rows new table as new_rows for each statement execute function group_code_heads_of_groups();

-- the heads of the codes that exist already (a database upgraded in place)
select group_code_heads_refresh((
  select jsonb_agg(distinct jsonb_build_object('corp_id', corp_id, 'unit_id', unit_id)) from group_codes));
