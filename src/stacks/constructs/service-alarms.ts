import type {AppautoscalingPolicy} from '@cdktf/provider-aws/lib/appautoscaling-policy/index.js'
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmMetricQuery,
} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js'
import type {LbTargetGroup} from '@cdktf/provider-aws/lib/lb-target-group/index.js'
import type {Lb} from '@cdktf/provider-aws/lib/lb/index.js'
import type {SnsTopic} from '@cdktf/provider-aws/lib/sns-topic/index.js'
import type {Construct} from 'constructs'

import type {ClientNames, ClientStackModel} from '../model.ts'

export interface ServiceAlarmsProps {
  scaling: ClientStackModel['scaling']
  names: Pick<ClientNames, 'alarms' | 'cluster' | 'queue' | 'service'>
  loadBalancer: Lb
  targetGroup: LbTargetGroup
  scaleOut: AppautoscalingPolicy
  scaleIn: AppautoscalingPolicy
  /** The client's alarm topic: told of every scale-out and of failing health checks. */
  alarmTopic: SnsTopic
}

type AlarmId = keyof ClientNames['alarms']

/** One CloudWatch metric, read over one-minute periods. */
interface Metric {
  namespace: string
  metricName: string
  statistic: string
  dimensions: Record<string, string>
}

/** A row of the alarm table: one alarm on one metric, or on metric math over several. */
interface AlarmRow {
  /** Its key in names.alarms, and its construct id (so its address: `app_<id>` in snake case). */
  id: AlarmId
  description: string
  actions: string[]
  comparison: 'GreaterThanThreshold' | 'LessThanThreshold'
  periods: number
  threshold: number
  metric: Metric | {queries: CloudwatchMetricAlarmMetricQuery[]}
}

/** A metric the service scales out on, above its mark. */
interface ScaleOutSignal {
  alarm: AlarmId
  /** Its id in the scale-in alarm's expression. */
  query: string
  metric: Metric
  mark: number
  periods: number
  description: string
}

const PERIOD_SECONDS = 60

/**
 * The service's alarms, one row each: scale out when any of CPU, memory, response time or queue
 * depth is high; scale in only when all four are low; tell the alarm topic when health checks fail.
 */
export function serviceAlarms(scope: Construct, props: ServiceAlarmsProps): CloudwatchMetricAlarm[] {
  return alarmTable(props).map((row) => metricAlarm(scope, props.names.alarms[row.id], row))
}

function alarmTable(props: ServiceAlarmsProps): AlarmRow[] {
  const {names, scaling} = props
  const serviceDimensions = {ClusterName: names.cluster, ServiceName: names.service}
  const targetDimensions = {LoadBalancer: props.loadBalancer.arnSuffix, TargetGroup: props.targetGroup.arnSuffix}
  const signals: ScaleOutSignal[] = [
    {
      alarm: 'cpuHigh',
      description: `Scale out: CPU above ${scaling.cpuHighPercent} %`,
      mark: scaling.cpuHighPercent,
      metric: {dimensions: serviceDimensions, metricName: 'CPUUtilization', namespace: 'AWS/ECS', statistic: 'Average'},
      periods: 3,
      query: 'cpu',
    },
    {
      alarm: 'memoryHigh',
      description: `Scale out: memory above ${scaling.memoryHighPercent} %`,
      mark: scaling.memoryHighPercent,
      metric: {
        dimensions: serviceDimensions,
        metricName: 'MemoryUtilization',
        namespace: 'AWS/ECS',
        statistic: 'Average',
      },
      periods: 3,
      query: 'memory',
    },
    {
      alarm: 'responseTimeHigh',
      description: `Scale out: target response time above ${scaling.responseTimeHighSeconds * 1000} ms`,
      mark: scaling.responseTimeHighSeconds,
      metric: {
        dimensions: targetDimensions,
        metricName: 'TargetResponseTime',
        namespace: 'AWS/ApplicationELB',
        statistic: 'Average',
      },
      periods: 3,
      query: 'latency',
    },
    {
      alarm: 'queueDepthHigh',
      description: `Scale out: more than ${scaling.queueDepthHigh} requests waiting in the work queue`,
      mark: scaling.queueDepthHigh,
      metric: {
        dimensions: {QueueName: names.queue},
        metricName: 'ApproximateNumberOfMessagesVisible',
        namespace: 'AWS/SQS',
        statistic: 'Maximum',
      },
      periods: 2,
      query: 'queue',
    },
  ]
  return [
    // The highest of the scale-out metrics, each as a share of its own mark, below scaleInLoadRatio for
    // scaleInMinutes: one alarm over all of them, so the service scales in only when every metric is
    // low (a metric without data, e.g. no traffic, counts as 0).
    {
      actions: [props.scaleIn.arn],
      comparison: 'LessThanThreshold',
      description: `Scale in: CPU, memory, response time and queue depth all below ${scaling.scaleInLoadRatio * 100} % of their scale-out marks for ${scaling.scaleInMinutes} minutes`,
      id: 'allLow',
      metric: {
        queries: [
          ...signals.map(({metric, query}) => ({
            id: query,
            metric: {
              dimensions: metric.dimensions,
              metricName: metric.metricName,
              namespace: metric.namespace,
              period: PERIOD_SECONDS,
              stat: metric.statistic,
            },
            returnData: false,
          })),
          {
            expression: `MAX([${signals.map(({mark, query}) => `FILL(${query}, 0) / ${mark}`).join(', ')}])`,
            id: 'load',
            label: 'Highest scale-out metric as a share of its mark',
            returnData: true,
          },
        ],
      },
      periods: scaling.scaleInMinutes,
      threshold: scaling.scaleInLoadRatio,
    },
    ...signals.map((signal): AlarmRow => ({
      actions: [props.scaleOut.arn, props.alarmTopic.arn],
      comparison: 'GreaterThanThreshold',
      description: signal.description,
      id: signal.alarm,
      metric: signal.metric,
      periods: signal.periods,
      threshold: signal.mark,
    })),
    {
      actions: [props.alarmTopic.arn],
      comparison: 'GreaterThanThreshold',
      description: 'Health checks failing on at least one task',
      id: 'unhealthyTargets',
      metric: {
        dimensions: targetDimensions,
        metricName: 'UnHealthyHostCount',
        namespace: 'AWS/ApplicationELB',
        statistic: 'Maximum',
      },
      periods: 2,
      threshold: 0,
    },
  ]
}

function metricAlarm(scope: Construct, name: string, row: AlarmRow): CloudwatchMetricAlarm {
  const {metric} = row
  return new CloudwatchMetricAlarm(scope, row.id, {
    actionsEnabled: true,
    alarmActions: row.actions,
    alarmDescription: row.description,
    alarmName: name,
    comparisonOperator: row.comparison,
    evaluationPeriods: row.periods,
    ...('queries' in metric
      ? {metricQuery: metric.queries}
      : {
          dimensions: metric.dimensions,
          metricName: metric.metricName,
          namespace: metric.namespace,
          period: PERIOD_SECONDS,
          statistic: metric.statistic,
        }),
    threshold: row.threshold,
    treatMissingData: 'notBreaching',
  })
}
