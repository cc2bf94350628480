-- The persona (人设) and name card (名片) of a staff account: what customers see of the member.
alter table staff add column persona_intro text;
alter table staff add column avatar_guide text;
alter table staff add column card_mall_title text;
alter table staff add column card_mall_url text;
alter table staff add column qr_code text;
alter table staff add column persona_updated_at timestamptz;
