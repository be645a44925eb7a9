-- Admin -> team priority levels (admins.team_priority_level.primary/secondary_team_ids).
with admins as (
    {{ intercom_sync.stage('admins', [['_dlt_id', 'row_id', 'string'], ['id', 'admin_id', 'string']]) }}
),

primary_teams as (
    {{ intercom_sync.stage('admins__team_priority_level__primary_team_ids', [
        ['_dlt_parent_id', 'parent_id', 'string'], ['value', 'team_id', 'string']]) }}
),

secondary_teams as (
    {{ intercom_sync.stage('admins__team_priority_level__secondary_team_ids', [
        ['_dlt_parent_id', 'parent_id', 'string'], ['value', 'team_id', 'string']]) }}
)

select admins.admin_id, p.team_id, 'primary' as priority_level
from primary_teams as p inner join admins on admins.row_id = p.parent_id
union all
select admins.admin_id, s.team_id, 'secondary' as priority_level
from secondary_teams as s inner join admins on admins.row_id = s.parent_id
