{#-
  `fivetran_utils.percentile` for DuckDB, which the package lacks (it has Redshift, BigQuery,
  Postgres, Spark and a default that DuckDB rejects: DuckDB has no `percentile_cont … within
  group … over`). Same window form as the package's other warehouses: the continuous
  percentile of `percentile_field` within each `partition_field`, on every row.
-#}
{% macro duckdb__percentile(percentile_field, partition_field, percent) -%}
    quantile_cont({{ percentile_field }}, {{ percent }}) over (partition by {{ partition_field }})
{%- endmacro %}
