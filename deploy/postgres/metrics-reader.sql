-- A SELECT-only PostgreSQL role for the IOC metric evaluator (docs/metrics.md).
--
-- Run it as the owner of the warehouse tables (or a superuser), in the warehouse database:
--
--   psql -d warehouse -v ON_ERROR_STOP=1 -v reader=ioc_metrics -v schema=public \
--        -v password="$(openssl rand -base64 24)" -f deploy/postgres/metrics-reader.sql
--
-- then give the evaluator the URL through the environment, never in the catalogue:
--
--   IOC_WAREHOUSE_URL='postgresql+psycopg://ioc_metrics:<password>@db.example/warehouse'
--   [databases.warehouse]
--   url_env = "IOC_WAREHOUSE_URL"
--
-- The evaluator runs every metric in a read-only transaction that it rolls back, and
-- refuses a role that may write server files or run programs (superusers included).
-- This role is the second wall: even a connection opened by hand with it can only read.

CREATE ROLE :"reader" LOGIN PASSWORD :'password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10;

-- Its sessions start read-only and short, whoever connects with it.
ALTER ROLE :"reader" SET default_transaction_read_only = on;
ALTER ROLE :"reader" SET statement_timeout = '30s';

SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'reader') \gexec

GRANT USAGE ON SCHEMA :"schema" TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"reader";
-- Tables created later in the schema by the role running this script are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA :"schema" GRANT SELECT ON TABLES TO :"reader";

-- Nothing to create anywhere: PostgreSQL 15 and later already refuse CREATE in schema
-- public to ordinary roles; on older servers run this as well:
--   REVOKE CREATE ON SCHEMA public FROM PUBLIC;
