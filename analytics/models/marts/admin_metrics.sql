-- One row per admin. A closed conversation is credited to its last closer (as Fivetran does);
-- time and reopen figures are over the conversations that admin closed last.
with closed as (
    select
        timeline.last_closed_by_id as admin_id,
        metrics.conversation_id,
        metrics.count_reopens,
        metrics.count_assignments,
        metrics.minutes_to_first_response,
        metrics.minutes_to_last_close,
        conversations.rating
    from {{ ref('int_conversation_timeline') }} as timeline
    inner join {{ ref('conversation_metrics') }} as metrics
        on metrics.conversation_id = timeline.conversation_id
    inner join {{ ref('stg_conversations') }} as conversations
        on conversations.conversation_id = timeline.conversation_id
    where conversations.state = 'closed' and timeline.last_closed_by_type = 'admin'
),

per_admin as (
    select
        admin_id,
        count(*) as count_closed_conversations,
        {{ intercom_sync.total("count_reopens") }} as count_reopens,
        {{ intercom_sync.average('count_reopens') }} as avg_reopens,
        {{ intercom_sync.average('count_assignments') }} as avg_assignments,
        {{ intercom_sync.median('minutes_to_first_response') }} as median_minutes_to_first_response,
        {{ intercom_sync.average('minutes_to_first_response') }} as avg_minutes_to_first_response,
        {{ intercom_sync.median('minutes_to_last_close') }} as median_minutes_to_last_close,
        {{ intercom_sync.average('minutes_to_last_close') }} as avg_minutes_to_last_close,
        count(rating) as count_rated_conversations,
        {{ intercom_sync.average('rating') }} as avg_rating
    from closed
    group by admin_id
),

assigned as (
    select admin_assignee_id as admin_id, count(*) as count_assigned_conversations
    from {{ ref('stg_conversations') }}
    where admin_assignee_id is not null
    group by admin_assignee_id
)

select
    admins.admin_id,
    admins.admin_name,
    coalesce(assigned.count_assigned_conversations, 0) as count_assigned_conversations,
    coalesce(per_admin.count_closed_conversations, 0) as count_closed_conversations,
    coalesce(per_admin.count_reopens, 0) as count_reopens,
    per_admin.avg_reopens,
    per_admin.avg_assignments,
    per_admin.median_minutes_to_first_response,
    per_admin.avg_minutes_to_first_response,
    per_admin.median_minutes_to_last_close,
    per_admin.avg_minutes_to_last_close,
    coalesce(per_admin.count_rated_conversations, 0) as count_rated_conversations,
    per_admin.avg_rating
from {{ ref('stg_admins') }} as admins
left join per_admin on per_admin.admin_id = admins.admin_id
left join assigned on assigned.admin_id = admins.admin_id
