-- One row per live conversation: who has it, what it is about, who closed it, how it was rated.
with tags as (
    select
        links.conversation_id,
        count(*) as count_tags,
        {{ intercom_sync.sorted_list('tags.tag_name') }} as tag_names
    from {{ ref('stg_conversation_tags') }} as links
    inner join {{ ref('stg_tags') }} as tags on tags.tag_id = links.tag_id
    group by links.conversation_id
),

contacts as (
    select
        conversation_id,
        count(*) as count_contacts,
        {{ intercom_sync.sorted_list('contact_id') }} as contact_ids
    from {{ ref('stg_conversation_contacts') }}
    group by conversation_id
),

companies as (
    select
        conversation_id,
        count(*) as count_companies,
        {{ intercom_sync.sorted_list('company_name') }} as company_names
    from (
        select distinct links.conversation_id, companies.company_id, companies.company_name
        from {{ ref('stg_conversation_contacts') }} as links
        inner join {{ ref('stg_contact_companies') }} as cc on cc.contact_id = links.contact_id
        inner join {{ ref('stg_companies') }} as companies on companies.company_id = cc.company_id
    ) as conversation_companies
    group by conversation_id
)

select
    c.conversation_id,
    c.created_at,
    c.updated_at,
    c.state,
    c.is_open,
    c.priority,
    c.source_type,
    c.admin_assignee_id,
    admins.admin_name as admin_assignee_name,
    c.team_assignee_id,
    teams.team_name as team_assignee_name,
    coalesce(tags.count_tags, 0) as count_tags,
    tags.tag_names,
    coalesce(contacts.count_contacts, 0) as count_contacts,
    contacts.contact_ids,
    coalesce(companies.count_companies, 0) as count_companies,
    companies.company_names,
    timeline.first_closed_by_id,
    timeline.first_closed_by_type,
    timeline.last_closed_by_id,
    timeline.last_closed_by_type,
    c.rating,
    c.rating_remark,
    c.rated_teammate_id,
    c.sla_name,
    c.sla_status,
    c.is_ai_agent_participated
from {{ ref('stg_conversations') }} as c
inner join {{ ref('int_conversation_timeline') }} as timeline
    on timeline.conversation_id = c.conversation_id
left join {{ ref('stg_admins') }} as admins on admins.admin_id = c.admin_assignee_id
left join {{ ref('stg_teams') }} as teams on teams.team_id = c.team_assignee_id
left join tags on tags.conversation_id = c.conversation_id
left join contacts on contacts.conversation_id = c.conversation_id
left join companies on companies.conversation_id = c.conversation_id
