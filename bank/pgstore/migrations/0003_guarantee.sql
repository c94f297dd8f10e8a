-- The bank's database on PostgreSQL, version 3: reserved, as
-- bank/migrations/0003_guarantee.sql is; filled in step with it.
SELECT 1;
