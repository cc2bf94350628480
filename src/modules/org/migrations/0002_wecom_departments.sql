-- The WeCom department an org unit mirrors, once synced (units created in Siyu first have none).
alter table org_units add column wecom_dept_id bigint;
create unique index org_units_wecom_dept on org_units (corp_id, wecom_dept_id);
