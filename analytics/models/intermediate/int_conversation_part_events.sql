-- One row per loaded conversation part with the events it stands for (definitions in
-- marts/_metric_definitions.md). Parts are ordered by (created_at, numeric id).
{% set assignment_types = intercom_sync.in_list(var('assignment_part_types')) %}
{% set contact_types = intercom_sync.in_list(var('contact_author_types')) %}

with parts as (
    select
        parts.*,
        lag(state) over (
            partition by conversation_id
            order by created_at, cast(part_id as {{ dbt.type_bigint() }})
        ) as previous_state
    from {{ ref('stg_conversation_parts') }} as parts
)

select
    part_id,
    conversation_id,
    part_type,
    created_at,
    author_type,
    author_id,
    state,
    -- a conversation starts open; the first loaded part's predecessor counts as open
    coalesce(previous_state, 'open') as previous_state,
    case when part_type = 'comment' and author_type in {{ contact_types }}
        then 1 else 0 end as is_contact_reply,
    case when author_type = 'admin'
            and (part_type = 'comment'
                 or (part_type in {{ assignment_types }} and coalesce(body, '') <> ''))
        then 1 else 0 end as is_admin_response,
    case when part_type in {{ assignment_types }} and assigned_to_type in ('admin', 'team')
        then 1 else 0 end as is_assignment,
    case when part_type = 'close' then 1 else 0 end as is_close,
    case when state <> 'closed' and coalesce(previous_state, 'open') = 'closed'
        then 1 else 0 end as is_reopen,
    case when state = 'closed' and coalesce(previous_state, 'open') <> 'closed'
        then 1 else 0 end as is_closing
from parts
