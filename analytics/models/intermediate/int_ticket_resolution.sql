-- One row per ticket: when it first and last entered the `resolved` state category.
with entered_resolved as (
    select
        ticket_id,
        min(created_at) as first_resolved_at,
        max(created_at) as last_resolved_at,
        count(*) as count_resolutions
    from {{ ref('stg_ticket_parts') }}
    where ticket_state = 'resolved' and coalesce(previous_ticket_state, '') <> 'resolved'
    group by ticket_id
)

select
    tickets.ticket_id,
    tickets.ticket_type_id,
    tickets.ticket_type_name,
    tickets.ticket_state_category,
    tickets.created_at,
    r.first_resolved_at,
    r.last_resolved_at,
    coalesce(r.count_resolutions, 0) as count_resolutions,
    {{ intercom_sync.minutes_between('tickets.created_at', 'r.first_resolved_at') }}
        as minutes_to_first_resolution,
    {{ intercom_sync.minutes_between('tickets.created_at', 'r.last_resolved_at') }}
        as minutes_to_last_resolution
from {{ ref('stg_tickets') }} as tickets
left join entered_resolved as r
    on r.ticket_id = tickets.ticket_id
