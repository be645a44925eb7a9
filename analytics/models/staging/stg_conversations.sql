-- Live conversations: one deleted in Intercom keeps its loaded row, flagged (`_deleted_at`;
-- docs/deletions.md), and is excluded here. Unassigned is null (the sync loads Intercom
-- 2.16's 0 as null, as 2.9 sends).
with loaded as (
    {{ intercom_sync.stage('conversations', [
        ['id', 'conversation_id', 'string'],
        ['created_at', 'created_at', 'timestamp'],
        ['updated_at', 'updated_at', 'timestamp'],
        ['state', 'state', 'string'],
        ['open', 'is_open', 'bool'],
        ['priority', 'priority', 'string'],
        ['title', 'title', 'string'],
        ['admin_assignee_id', 'admin_assignee_id', 'string'],
        ['team_assignee_id', 'team_assignee_id', 'string'],
        ['source__type', 'source_type', 'string'],
        ['source__author__type', 'source_author_type', 'string'],
        ['source__author__id', 'source_author_id', 'string'],
        ['conversation_rating__rating', 'rating', 'bigint'],
        ['conversation_rating__remark', 'rating_remark', 'string'],
        ['conversation_rating__created_at', 'rated_at', 'timestamp'],
        ['conversation_rating__teammate__id', 'rated_teammate_id', 'string'],
        ['sla_applied__sla_name', 'sla_name', 'string'],
        ['sla_applied__sla_status', 'sla_status', 'string'],
        ['statistics__count_conversation_parts', 'statistics_count_parts', 'bigint'],
        ['parts_total_count', 'parts_total_count', 'bigint'],
        ['ai_agent_participated', 'is_ai_agent_participated', 'bool'],
        ['_deleted_at', 'deleted_at', 'timestamp'],
    ]) }}
)

select
    conversation_id,
    created_at,
    updated_at,
    state,
    is_open,
    priority,
    title,
    admin_assignee_id,
    team_assignee_id,
    source_type,
    source_author_type,
    source_author_id,
    rating,
    rating_remark,
    rated_at,
    rated_teammate_id,
    sla_name,
    sla_status,
    -- the API's own part count (all parts, even beyond the newest 500 it returns)
    coalesce(parts_total_count, statistics_count_parts) as count_parts_total,
    is_ai_agent_participated
from loaded
where loaded.deleted_at is null
