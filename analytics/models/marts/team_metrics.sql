-- One row per team, over the conversations currently assigned to it (team assignee).
with team_conversations as (
    select
        conversations.team_assignee_id as team_id,
        conversations.state,
        conversations.rating,
        metrics.count_reopens,
        metrics.minutes_to_first_response,
        metrics.minutes_to_last_close
    from {{ ref('stg_conversations') }} as conversations
    inner join {{ ref('conversation_metrics') }} as metrics
        on metrics.conversation_id = conversations.conversation_id
    where conversations.team_assignee_id is not null
),

per_team as (
    select
        team_id,
        count(*) as count_conversations,
        {{ intercom_sync.total("case when state = 'closed' then 1 else 0 end") }}
            as count_closed_conversations,
        {{ intercom_sync.total("count_reopens") }} as count_reopens,
        {{ intercom_sync.median('minutes_to_first_response') }} as median_minutes_to_first_response,
        {{ intercom_sync.average('minutes_to_first_response') }} as avg_minutes_to_first_response,
        {{ intercom_sync.median('case when state = \'closed\' then minutes_to_last_close end') }}
            as median_minutes_to_last_close,
        {{ intercom_sync.average('case when state = \'closed\' then minutes_to_last_close end') }}
            as avg_minutes_to_last_close,
        count(rating) as count_rated_conversations,
        {{ intercom_sync.average('rating') }} as avg_rating
    from team_conversations
    group by team_id
)

select
    teams.team_id,
    teams.team_name,
    coalesce(per_team.count_conversations, 0) as count_conversations,
    coalesce(per_team.count_closed_conversations, 0) as count_closed_conversations,
    coalesce(per_team.count_reopens, 0) as count_reopens,
    per_team.median_minutes_to_first_response,
    per_team.avg_minutes_to_first_response,
    per_team.median_minutes_to_last_close,
    per_team.avg_minutes_to_last_close,
    coalesce(per_team.count_rated_conversations, 0) as count_rated_conversations,
    per_team.avg_rating
from {{ ref('stg_teams') }} as teams
left join per_team on per_team.team_id = teams.team_id
