{#-
  A model's schema: the target's (the analytics schema), or its configured `schema` as is
  (dbt's default would prefix the target schema). Only models/fivetran configure one, so that
  its views land in `<dataset>_fivetran` (or the var `fivetran_schema`).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}
  {%- else -%}{{ custom_schema_name | trim }}
  {%- endif -%}
{%- endmacro %}
