import {AppautoscalingPolicy} from '@cdktf/provider-aws/lib/appautoscaling-policy/index.js'
import {AppautoscalingTarget} from '@cdktf/provider-aws/lib/appautoscaling-target/index.js'
import type {EcsCluster} from '@cdktf/provider-aws/lib/ecs-cluster/index.js'
import type {EcsService} from '@cdktf/provider-aws/lib/ecs-service/index.js'
import type {Construct} from 'constructs'

import type {ClientStackModel} from '../model.ts'

export interface ServiceScalingProps {
  cluster: EcsCluster
  service: EcsService
  /** The bounds of the task count: the tier's, or 0 while the service gate is closed. */
  minTasks: number
  maxTasks: number
  /** Prefix of the policy names (`<prefix>-scale-out`, `<prefix>-scale-in`). */
  namePrefix: string
  scaling: Pick<ClientStackModel['scaling'], 'cooldownSeconds' | 'scaleInBy' | 'scaleOutBy'>
}

export interface ServiceScaling {
  target: AppautoscalingTarget
  scaleOut: AppautoscalingPolicy
  scaleIn: AppautoscalingPolicy
}

/**
 * The service's task count under Application Auto Scaling: step policies that add scaleOutBy tasks
 * or remove scaleInBy, each followed by a cooldown. The alarms that trigger them are serviceAlarms.
 */
export function serviceScaling(scope: Construct, props: ServiceScalingProps): ServiceScaling {
  const {scaling} = props
  const target = new AppautoscalingTarget(scope, 'scalingTarget', {
    maxCapacity: props.maxTasks,
    minCapacity: props.minTasks,
    resourceId: `service/${props.cluster.name}/${props.service.name}`,
    scalableDimension: 'ecs:service:DesiredCount',
    serviceNamespace: 'ecs',
  })
  const stepPolicy = (policyId: string, name: string, adjustment: number, bound: 'lower' | 'upper') =>
    new AppautoscalingPolicy(scope, policyId, {
      name,
      policyType: 'StepScaling',
      resourceId: target.resourceId,
      scalableDimension: target.scalableDimension,
      serviceNamespace: target.serviceNamespace,
      stepScalingPolicyConfiguration: {
        adjustmentType: 'ChangeInCapacity',
        cooldown: scaling.cooldownSeconds,
        metricAggregationType: 'Maximum',
        stepAdjustment: [
          bound === 'lower'
            ? {metricIntervalLowerBound: '0', scalingAdjustment: adjustment}
            : {metricIntervalUpperBound: '0', scalingAdjustment: adjustment},
        ],
      },
    })
  return {
    scaleIn: stepPolicy('scaleIn', `${props.namePrefix}-scale-in`, -scaling.scaleInBy, 'upper'),
    scaleOut: stepPolicy('scaleOut', `${props.namePrefix}-scale-out`, scaling.scaleOutBy, 'lower'),
    target,
  }
}
