-- One row per company, over the conversations of its contacts (contact -> company links;
-- a conversation counts once per company however many of its contacts belong to it).
with company_conversations as (
    select distinct cc.company_id, links.conversation_id
    from {{ ref('stg_contact_companies') }} as cc
    inner join {{ ref('stg_conversation_contacts') }} as links on links.contact_id = cc.contact_id
),

per_company as (
    select
        cc.company_id,
        count(*) as count_conversations,
        {{ intercom_sync.total("case when conversations.state = 'closed' then 1 else 0 end") }}
            as count_closed_conversations,
        {{ intercom_sync.total("metrics.count_reopens") }} as count_reopens,
        {{ intercom_sync.median('metrics.minutes_to_first_response') }}
            as median_minutes_to_first_response,
        {{ intercom_sync.average('metrics.minutes_to_first_response') }}
            as avg_minutes_to_first_response,
        {{ intercom_sync.median(
            "case when conversations.state = 'closed' then metrics.minutes_to_last_close end") }}
            as median_minutes_to_last_close,
        count(conversations.rating) as count_rated_conversations,
        {{ intercom_sync.average('conversations.rating') }} as avg_rating
    from company_conversations as cc
    inner join {{ ref('stg_conversations') }} as conversations
        on conversations.conversation_id = cc.conversation_id
    inner join {{ ref('conversation_metrics') }} as metrics
        on metrics.conversation_id = cc.conversation_id
    group by cc.company_id
),

contacts as (
    select company_id, count(*) as count_contacts
    from {{ ref('stg_contact_companies') }}
    group by company_id
)

select
    companies.company_id,
    companies.company_name,
    coalesce(contacts.count_contacts, 0) as count_contacts,
    coalesce(per_company.count_conversations, 0) as count_conversations,
    coalesce(per_company.count_closed_conversations, 0) as count_closed_conversations,
    coalesce(per_company.count_reopens, 0) as count_reopens,
    per_company.median_minutes_to_first_response,
    per_company.avg_minutes_to_first_response,
    per_company.median_minutes_to_last_close,
    coalesce(per_company.count_rated_conversations, 0) as count_rated_conversations,
    per_company.avg_rating
from {{ ref('stg_companies') }} as companies
left join per_company on per_company.company_id = companies.company_id
left join contacts on contacts.company_id = companies.company_id
