-- A round-robin pool is one multi-member «联系我» (type 2): WeCom itself takes turns among the members it
-- lists, so Siyu changes the list only when someone reaches the cap or hours begin or end, instead of
-- re-pointing a single-member way after every add (one update_contact_way per customer, against WeCom's
-- per-API limit of 10,000 a minute).
alter table channel_codes add column current_users text[] not null default '{}';
update channel_codes set current_users = array[current_userid] where current_userid is not null;
alter table channel_codes drop column current_userid;
alter table channel_codes drop column rr_position;
