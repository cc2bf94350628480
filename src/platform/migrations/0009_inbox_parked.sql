-- The 企业微信 page lists the latest parked callbacks with why (a callback whose ids held text PostgreSQL
-- cannot store, one whose XML does not parse, one that failed 8 times): few rows among all the handled ones.
create index wecom_inbox_parked on wecom_inbox (corp_id, id) where status = 'parked';
