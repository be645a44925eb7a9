-- One row per UTC day from the first conversation to the last recorded event: conversations
-- created, closed and reopened that day, and the open backlog at the end of the day.
with created as (
    select {{ intercom_sync.utc_date('created_at') }} as date_day, count(*) as created
    from {{ ref('stg_conversations') }}
    group by 1
),

transitions as (
    select
        {{ intercom_sync.utc_date('created_at') }} as date_day,
        {{ intercom_sync.total("is_closing") }} as closed,
        {{ intercom_sync.total("is_reopen") }} as reopened
    from {{ ref('int_conversation_part_events') }}
    group by 1
),

bounds as (
    select min(date_day) as first_day, max(date_day) as last_day
    from (
        select date_day from created
        union all
        select date_day from transitions
    ) as days
),

spine as (
    {{ intercom_sync.day_spine('bounds.first_day', 'bounds.last_day') }}
),

daily as (
    select
        spine.date_day,
        coalesce(created.created, 0) as conversations_created,
        coalesce(transitions.closed, 0) as conversations_closed,
        coalesce(transitions.reopened, 0) as conversations_reopened
    from spine
    left join created on created.date_day = spine.date_day
    left join transitions on transitions.date_day = spine.date_day
)

select
    date_day,
    conversations_created,
    conversations_closed,
    conversations_reopened,
    cast(sum(conversations_created - conversations_closed + conversations_reopened)
        over (order by date_day rows between unbounded preceding and current row)
        as {{ dbt.type_bigint() }}) as open_backlog
from daily
