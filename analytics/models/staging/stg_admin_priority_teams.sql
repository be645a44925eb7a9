-- Admin -> team priority levels (admins.team_priority_level.primary/secondary_team_ids): the
-- nested tables carry the admin's id (admin_id) and the listed team's (team_id).
with primary_teams as (
    {{ intercom_sync.stage('admins__team_priority_level__primary_team_ids', [
        ['admin_id', 'admin_id', 'string'], ['team_id', 'team_id', 'string']]) }}
),

secondary_teams as (
    {{ intercom_sync.stage('admins__team_priority_level__secondary_team_ids', [
        ['admin_id', 'admin_id', 'string'], ['team_id', 'team_id', 'string']]) }}
)

select admin_id, team_id, 'primary' as priority_level from primary_teams
union all
select admin_id, team_id, 'secondary' as priority_level from secondary_teams
