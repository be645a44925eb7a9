-- One row per company with its tags, segments and live contact count.
with tags as (
    select
        links.company_id,
        count(*) as count_tags,
        {{ intercom_sync.sorted_list('tags.tag_name') }} as tag_names
    from {{ ref('stg_company_tags') }} as links
    inner join {{ ref('stg_tags') }} as tags on tags.tag_id = links.tag_id
    group by links.company_id
),

segments as (
    select
        links.company_id,
        count(*) as count_segments,
        {{ intercom_sync.sorted_list('segments.segment_name') }} as segment_names
    from {{ ref('stg_company_segments') }} as links
    inner join {{ ref('stg_segments') }} as segments on segments.segment_id = links.segment_id
    group by links.company_id
),

contacts as (
    select company_id, count(*) as count_contacts
    from {{ ref('stg_contact_companies') }}
    group by company_id
)

select
    companies.company_id,
    companies.company_code,
    companies.company_name,
    companies.plan_name,
    companies.industry,
    companies.company_size,
    companies.monthly_spend,
    companies.user_count,
    companies.created_at,
    companies.updated_at,
    coalesce(contacts.count_contacts, 0) as count_contacts,
    coalesce(tags.count_tags, 0) as count_tags,
    tags.tag_names,
    coalesce(segments.count_segments, 0) as count_segments,
    segments.segment_names
from {{ ref('stg_companies') }} as companies
left join contacts on contacts.company_id = companies.company_id
left join tags on tags.company_id = companies.company_id
left join segments on segments.company_id = companies.company_id
