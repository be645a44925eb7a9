-- One row per live contact with its companies, tags and conversation/ticket counts.
with companies as (
    select
        cc.contact_id,
        count(*) as count_companies,
        {{ intercom_sync.sorted_list('companies.company_name') }} as company_names
    from {{ ref('stg_contact_companies') }} as cc
    inner join {{ ref('stg_companies') }} as companies on companies.company_id = cc.company_id
    group by cc.contact_id
),

tags as (
    select
        links.contact_id,
        count(*) as count_tags,
        {{ intercom_sync.sorted_list('tags.tag_name') }} as tag_names
    from {{ ref('stg_contact_tags') }} as links
    inner join {{ ref('stg_tags') }} as tags on tags.tag_id = links.tag_id
    group by links.contact_id
),

conversations as (
    select
        links.contact_id,
        count(*) as count_conversations,
        max(conversations.created_at) as last_conversation_at
    from {{ ref('stg_conversation_contacts') }} as links
    inner join {{ ref('stg_conversations') }} as conversations
        on conversations.conversation_id = links.conversation_id
    group by links.contact_id
),

tickets as (
    select contact_id, count(*) as count_tickets
    from {{ ref('stg_ticket_contacts') }}
    group by contact_id
)

select
    contacts.contact_id,
    contacts.role,
    contacts.contact_name,
    contacts.email,
    contacts.external_id,
    contacts.created_at,
    contacts.updated_at,
    coalesce(companies.count_companies, 0) as count_companies,
    companies.company_names,
    coalesce(tags.count_tags, 0) as count_tags,
    tags.tag_names,
    coalesce(conversations.count_conversations, 0) as count_conversations,
    conversations.last_conversation_at,
    coalesce(tickets.count_tickets, 0) as count_tickets
from {{ ref('stg_contacts') }} as contacts
left join companies on companies.contact_id = contacts.contact_id
left join tags on tags.contact_id = contacts.contact_id
left join conversations on conversations.contact_id = contacts.contact_id
left join tickets on tickets.contact_id = contacts.contact_id
