-- Team -> admin priority levels (teams.admin_priority_level.primary/secondary_admin_ids): the
-- nested tables carry the team's id (team_id) and the listed admin's (admin_id).
with primary_admins as (
    {{ intercom_sync.stage('teams__admin_priority_level__primary_admin_ids', [
        ['team_id', 'team_id', 'string'], ['admin_id', 'admin_id', 'string']]) }}
),

secondary_admins as (
    {{ intercom_sync.stage('teams__admin_priority_level__secondary_admin_ids', [
        ['team_id', 'team_id', 'string'], ['admin_id', 'admin_id', 'string']]) }}
)

select team_id, admin_id, 'primary' as priority_level from primary_admins
union all
select team_id, admin_id, 'secondary' as priority_level from secondary_admins
