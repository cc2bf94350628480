-- A scan is one visitor's first look at a code's landing page in a brand day (UTC+8): reloads and second
-- looks that day count once. The visitor is a keyed hash (of the landing page's own cookie, or of the address
-- and browser while there is none), never an address. channel_codes.scans stays the code's running total.
create table channel_scans (
  corp_id text not null,
  code_id bigint not null,
  day timestamptz not null,
  visitor text not null,
  scanned_at timestamptz not null,
  primary key (corp_id, code_id, day, visitor),
  foreign key (corp_id, code_id) references channel_codes (corp_id, id)
);
create index channel_scans_code_at on channel_scans (corp_id, code_id, scanned_at);
