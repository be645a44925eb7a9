-- One row per live conversation: counts and first/last moments of every event.
with events as (
    select * from {{ ref('int_conversation_part_events') }}
),

closes as (
    select
        conversation_id,
        author_id,
        author_type,
        row_number() over (
            partition by conversation_id
            order by created_at, cast(part_id as {{ dbt.type_bigint() }})
        ) as first_rank,
        row_number() over (
            partition by conversation_id
            order by created_at desc, cast(part_id as {{ dbt.type_bigint() }}) desc
        ) as last_rank
    from events
    where is_close = 1
),

per_conversation as (
    select
        conversation_id,
        count(*) as count_parts_loaded,
        {{ intercom_sync.total("is_reopen") }} as count_reopens,
        {{ intercom_sync.total("is_assignment") }} as count_assignments,
        {{ intercom_sync.total("is_close") }} as count_closes,
        min(case when is_contact_reply = 1 then created_at end) as first_contact_reply_at,
        max(case when is_contact_reply = 1 then created_at end) as last_contact_reply_at,
        min(case when is_assignment = 1 then created_at end) as first_assignment_at,
        max(case when is_assignment = 1 then created_at end) as last_assignment_at,
        min(case when is_admin_response = 1 then created_at end) as first_admin_response_at,
        max(case when is_admin_response = 1 then created_at end) as last_admin_response_at,
        min(case when is_close = 1 then created_at end) as first_close_at,
        max(case when is_close = 1 then created_at end) as last_close_at
    from events
    group by conversation_id
)

select
    conversations.conversation_id,
    conversations.created_at,
    conversations.count_parts_total,
    coalesce(p.count_parts_loaded, 0) as count_parts_loaded,
    coalesce(p.count_reopens, 0) as count_reopens,
    coalesce(p.count_assignments, 0) as count_assignments,
    coalesce(p.count_closes, 0) as count_closes,
    p.first_contact_reply_at,
    p.last_contact_reply_at,
    p.first_assignment_at,
    p.last_assignment_at,
    p.first_admin_response_at,
    p.last_admin_response_at,
    p.first_close_at,
    p.last_close_at,
    first_closer.author_id as first_closed_by_id,
    first_closer.author_type as first_closed_by_type,
    last_closer.author_id as last_closed_by_id,
    last_closer.author_type as last_closed_by_type
from {{ ref('stg_conversations') }} as conversations
left join per_conversation as p
    on p.conversation_id = conversations.conversation_id
left join closes as first_closer
    on first_closer.conversation_id = conversations.conversation_id and first_closer.first_rank = 1
left join closes as last_closer
    on last_closer.conversation_id = conversations.conversation_id and last_closer.last_rank = 1
