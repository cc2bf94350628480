-- A touch the customer answered: the first message the customer sent the sender within the attribution
-- window after it (WeCom tells Siyu of customers' messages only through the session archive).
alter table touches add column replied_at timestamptz;
