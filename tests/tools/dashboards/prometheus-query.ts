// The query of Grafana's Prometheus data source as a dashboard's JSON holds it: the interface
// `Prometheus` of @grafana/prometheus 13.2.3 (dist/types/dataquery.d.ts), whose package cannot
// be installed for its types alone (it pulls in the whole UI). `scopes` and `adhocFilters`,
// which need @grafana/data's types, are left out: the dashboards do not use them.
import type { DataQuery } from '@grafana/schema';

export type PromQueryFormat = 'time_series' | 'table' | 'heatmap';

export interface PromQuery extends DataQuery {
  editorMode?: 'builder' | 'code';
  exemplar?: boolean;
  expr: string;
  format?: PromQueryFormat;
  instant?: boolean;
  intervalFactor?: number;
  interval?: string;
  legendFormat?: string;
  range?: boolean;
  groupByKeys?: string[];
}

// A Prometheus variable's query (label_values(...), query_result(...)).
export interface PromVariableQuery {
  query: string;
  refId: string;
  qryType?: number;
}

// JSON holds an enum's value, not the enum: map every string enum to its literal values, so
// that `"list"` is accepted where the schema says LegendDisplayMode and `"lists"` is not.
export type Json<T> = T extends string
  ? `${T}`
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;
