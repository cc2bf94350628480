-- The JS-SDK tickets of a brand's WeCom app (API-FACTS-2 §7.2), kept for their life: WeCom allows 100 fetches
-- an hour per app, and every sidebar page signs with them. The ticket is stored encrypted like the app secret.
create table sidebar_tickets (
  corp_id text not null references corps (corp_id),
  kind text not null check (kind in ('jsapi', 'agent_config')),
  ticket_cipher text not null,
  expires_at timestamptz not null,
  fetched_at timestamptz not null,
  primary key (corp_id, kind)
);
