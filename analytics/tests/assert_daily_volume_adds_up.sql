-- The last day's backlog equals the conversations that are not closed now (when every part is
-- loaded); created per day adds up to all conversations.
with totals as (
    select
        sum(conversations_created) as created,
        max(case when is_last then open_backlog end) as last_backlog
    from (
        select *, date_day = max(date_day) over () as is_last
        from {{ ref('daily_conversation_volume') }}
    ) as days
),
live as (
    select
        count(*) as conversations,
        sum(case when state <> 'closed' then 1 else 0 end) as not_closed
    from {{ ref('stg_conversations') }}
),
complete as (
    select count(*) as truncated
    from {{ ref('conversation_metrics') }}
    where is_parts_truncated
)
select *
from totals cross join live cross join complete
where totals.created <> live.conversations
   or (complete.truncated = 0 and totals.last_backlog <> live.not_closed)
