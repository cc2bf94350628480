-- A follow that WeCom moved to another member (离职继承 / 在职转接) ends 'transferred'; the new member's follow
-- starts beside it, so the previous owner stays in the customer's history.
alter table follows drop constraint follows_status_check;
alter table follows add constraint follows_status_check
  check (status in ('active', 'deleted_by_customer', 'deleted_by_staff', 'transferred'));
