-- Team -> admin priority levels (teams.admin_priority_level.primary/secondary_admin_ids).
with teams as (
    {{ intercom_sync.stage('teams', [['_dlt_id', 'row_id', 'string'], ['id', 'team_id', 'string']]) }}
),

primary_admins as (
    {{ intercom_sync.stage('teams__admin_priority_level__primary_admin_ids', [
        ['_dlt_parent_id', 'parent_id', 'string'], ['value', 'admin_id', 'string']]) }}
),

secondary_admins as (
    {{ intercom_sync.stage('teams__admin_priority_level__secondary_admin_ids', [
        ['_dlt_parent_id', 'parent_id', 'string'], ['value', 'admin_id', 'string']]) }}
)

select teams.team_id, p.admin_id, 'primary' as priority_level
from primary_admins as p inner join teams on teams.row_id = p.parent_id
union all
select teams.team_id, s.admin_id, 'secondary' as priority_level
from secondary_admins as s inner join teams on teams.row_id = s.parent_id
