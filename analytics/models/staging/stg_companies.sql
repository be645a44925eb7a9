-- Live companies: one deleted in Intercom (found by `--reconcile`) keeps its loaded row, flagged
-- (`_deleted_at`; docs/deletions.md), and is excluded here.
with loaded as (
    {{ intercom_sync.stage('companies', [
        ['id', 'company_id', 'string'],
        ['company_id', 'company_code', 'string'],
        ['name', 'company_name', 'string'],
        ['plan__name', 'plan_name', 'string'],
        ['industry', 'industry', 'string'],
        ['size', 'company_size', 'bigint'],
        ['monthly_spend', 'monthly_spend', 'float'],
        ['user_count', 'user_count', 'bigint'],
        ['session_count', 'session_count', 'bigint'],
        ['created_at', 'created_at', 'timestamp'],
        ['updated_at', 'updated_at', 'timestamp'],
        ['remote_created_at', 'remote_created_at', 'timestamp'],
        ['_deleted_at', 'deleted_at', 'timestamp'],
    ]) }}
)

select loaded.*
from loaded
where loaded.deleted_at is null
