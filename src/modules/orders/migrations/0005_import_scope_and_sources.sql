-- An order from a region or store manager's import is linked only to customers of the importer's scope:
-- the unit whose subtree's staff follow them (null: any customer of the brand). It stays unresolved while
-- one of its identities is held by a customer outside that scope.
alter table orders add column link_scope_unit_id bigint;
alter table orders add foreign key (corp_id, link_scope_unit_id) references org_units (corp_id, id);

-- Imports have their own namespace of sources, import:<name>. An integration's source has no colon, so an
-- import can never take an integrator's order numbers (nor an integrator an import's). The orders, learned
-- identities and undone links of earlier imports move into it; a source that both an import and an
-- integration used cannot be told apart, and its orders stay the integration's.
update orders o set source = 'import:' || o.source
where exists (select 1 from order_imports i where i.corp_id = o.corp_id and i.source = o.source)
  and not exists (select 1 from integrations g where g.corp_id = o.corp_id and g.source = o.source);
update customer_identities x set source = 'order:import:' || substr(x.source, 7)
where x.source like 'order:%'
  and exists (select 1 from order_imports i where i.corp_id = x.corp_id and 'order:' || i.source = x.source)
  and not exists (select 1 from integrations g where g.corp_id = x.corp_id and 'order:' || g.source = x.source);
update identity_unlinks x set source = 'order:import:' || substr(x.source, 7)
where x.source like 'order:%'
  and exists (select 1 from order_imports i where i.corp_id = x.corp_id and 'order:' || i.source = x.source)
  and not exists (select 1 from integrations g where g.corp_id = x.corp_id and 'order:' || g.source = x.source);
update identity_conflicts x set source = 'order:import:' || substr(x.source, 7)
where x.source like 'order:%'
  and exists (select 1 from order_imports i where i.corp_id = x.corp_id and 'order:' || i.source = x.source)
  and not exists (select 1 from integrations g where g.corp_id = x.corp_id and 'order:' || g.source = x.source);
alter table order_imports drop constraint order_imports_source_check;
update order_imports set source = 'import:' || source;
alter table order_imports add constraint order_imports_source_check
  check (source ~ '^import:[a-z0-9][a-z0-9_-]{0,31}$');
