-- One row per ticket type and current state category: how long tickets took to be resolved.
select
    ticket_type_id,
    max(ticket_type_name) as ticket_type_name,
    ticket_state_category,
    count(*) as count_tickets,
    {{ intercom_sync.total("case when first_resolved_at is not null then 1 else 0 end") }} as count_resolved_tickets,
    {{ intercom_sync.total("count_resolutions") }} as count_resolutions,
    {{ intercom_sync.median('minutes_to_first_resolution') }} as median_minutes_to_first_resolution,
    {{ intercom_sync.average('minutes_to_first_resolution') }} as avg_minutes_to_first_resolution,
    {{ intercom_sync.median('minutes_to_last_resolution') }} as median_minutes_to_last_resolution
from {{ ref('int_ticket_resolution') }}
group by ticket_type_id, ticket_state_category
