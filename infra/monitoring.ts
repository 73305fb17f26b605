// Alarms → one SNS topic (optionally e-mailed), and a dashboard of the same signals plus the
// processor's own EMF metrics (namespace Prism, dimension service=processor).
import { DURATION_ALARM_SHARE, PROCESSOR_TIMEOUT_SECONDS, type PrismConfig } from "./config";
import { transformed, type ArgsOf } from "./args";
import type { PrismProcessor } from "./processor";
import type { PrismRouter } from "./router";

/** Alarms and the dashboard: the topic they notify, and `alarm(…)` for the alarms of other modules. */
export function createMonitoring(config: PrismConfig, { router }: PrismRouter, { deadLetterQueue, processor }: PrismProcessor) {
  const { ALARM_EMAIL } = config;
  const prefix = `${$app.name}-${$app.stage}`;
  const region = aws.config.region ?? "us-east-1";

  function alarmTopic(name: string, opts?: { provider: aws.Provider }) {
    const topic = new aws.sns.Topic(name, transformed(config.transform.alarmTopic, name, { displayName: `${prefix} alarms` }), config.child(opts));
    if (ALARM_EMAIL) {
      new aws.sns.TopicSubscription(`${name}Email`, { topic: topic.arn, protocol: "email", endpoint: ALARM_EMAIL }, config.child(opts));
    }
    return topic;
  }

  const alarms = alarmTopic("AlarmTopic");

  /**
   * CloudFront publishes its metrics only in us-east-1, and an alarm can only notify a topic in
   * its own region: outside us-east-1 the site alarm gets a twin topic there.
   */
  const globalProvider =
    region === "us-east-1"
      ? undefined
      : new aws.Provider("UsEast1", {
          region: "us-east-1",
          defaultTags: ($app.providers?.aws as { defaultTags?: aws.ProviderArgs["defaultTags"] } | undefined)?.defaultTags,
        });
  const globalAlarms = globalProvider ? alarmTopic("GlobalAlarmTopic", { provider: globalProvider }) : alarms;

  type AlarmArgs = Pick<
    aws.cloudwatch.MetricAlarmArgs,
    "namespace" | "metricName" | "dimensions" | "statistic" | "threshold" | "comparisonOperator" | "alarmDescription"
  >;

  /** An alarm that notifies the alarm topic (its name carries app and stage). */
  function alarm(name: string, slug: string, args: AlarmArgs, topic = alarms, provider = undefined as aws.Provider | undefined) {
    return new aws.cloudwatch.MetricAlarm(
      name,
      transformed(config.transform.alarm, name, {
        name: `${prefix}-${slug}`,
        period: 300,
        evaluationPeriods: 1,
        // No data means nothing ran, which is not a failure.
        treatMissingData: "notBreaching",
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        ...args,
      } satisfies ArgsOf<typeof aws.cloudwatch.MetricAlarm>),
      config.child(provider ? { provider } : undefined),
    );
  }
  /** Any error of a function: each failed attempt counts. */
  function errorsAlarm(name: string, slug: string, alarmDescription: string, functionName: $util.Input<string>) {
    return alarm(name, slug, {
      alarmDescription,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: functionName },
      statistic: "Sum",
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
  }

  /**
   * Any message sent to a queue of failures. Messages sent, not messages waiting: a consumer may
   * settle and delete them within seconds.
   */
  function failuresSentAlarm(name: string, slug: string, alarmDescription: string, queue: sst.aws.Queue) {
    return alarm(name, slug, {
      alarmDescription,
      namespace: "AWS/SQS",
      metricName: "NumberOfMessagesSent",
      dimensions: { QueueName: queue.nodes.queue.name },
      statistic: "Sum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
  }


  const processorDimensions = { FunctionName: processor.name };
  const durationThresholdMs = PROCESSOR_TIMEOUT_SECONDS * 1000 * DURATION_ALARM_SHARE;

  const processorErrorsAlarm = errorsAlarm("ProcessorErrorsAlarm", "processor-errors", "The image processor threw (each failed attempt counts; retries follow).", processor.name);

  const processorThrottlesAlarm = alarm("ProcessorThrottlesAlarm", "processor-throttles", {
    alarmDescription: "Uploads arrive faster than the reserved concurrency lets the processor run.",
    namespace: "AWS/Lambda",
    metricName: "Throttles",
    dimensions: processorDimensions,
    statistic: "Sum",
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });

  const processorDurationAlarm = alarm("ProcessorDurationAlarm", "processor-duration", {
    alarmDescription: `An invocation used over ${DURATION_ALARM_SHARE * 100}% of the ${PROCESSOR_TIMEOUT_SECONDS}s timeout: raise memory or the timeout.`,
    namespace: "AWS/Lambda",
    metricName: "Duration",
    dimensions: processorDimensions,
    statistic: "Maximum",
    threshold: durationThresholdMs,
    comparisonOperator: "GreaterThanThreshold",
  });

  const deadLetterAlarm = failuresSentAlarm(
    "DeadLetterAlarm",
    "dead-letters",
    "An upload failed processing after every retry; its event was sent to the dead-letter queue and its image marked failed.",
    deadLetterQueue,
  );

  const site5xxAlarm = alarm(
    "Site5xxAlarm",
    "site-5xx",
    {
      alarmDescription: "More than 5% of requests to the site and variants answered 5xx.",
      namespace: "AWS/CloudFront",
      metricName: "5xxErrorRate",
      dimensions: { DistributionId: router.distributionID, Region: "Global" },
      statistic: "Average",
      threshold: 5,
      comparisonOperator: "GreaterThanThreshold",
    },
    globalAlarms,
    globalProvider,
  );

  const processorMetric = (metricName: string, stat: string) => [
    "AWS/Lambda",
    metricName,
    "FunctionName",
    processor.name,
    { stat },
  ];
  const prismMetric = (metricName: string) => ["Prism", metricName, "service", "processor", { stat: "Sum" }];

  const dashboard = new aws.cloudwatch.Dashboard("Dashboard", transformed(config.transform.dashboard, "Dashboard", {
    dashboardName: prefix,
    dashboardBody: $jsonStringify({
      widgets: [
        widget(0, 0, "Images", [prismMetric("ImagesProcessed"), prismMetric("ImagesFailed")]),
        widget(12, 0, "Bytes saved", [prismMetric("BytesSaved")]),
        widget(0, 6, "Processor errors and throttles", [
          processorMetric("Invocations", "Sum"),
          processorMetric("Errors", "Sum"),
          processorMetric("Throttles", "Sum"),
        ]),
        widget(12, 6, "Processor duration (ms)", [processorMetric("Duration", "Maximum"), processorMetric("Duration", "p90")], {
          horizontal: [{ label: "alarm", value: durationThresholdMs }],
        }),
        widget(0, 12, "Dead letters", [
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", deadLetterQueue.nodes.queue.name, { stat: "Maximum" }],
        ]),
        widget(
          12,
          12,
          "Site 5xx rate (%)",
          [["AWS/CloudFront", "5xxErrorRate", "DistributionId", router.distributionID, "Region", "Global", { stat: "Average" }]],
          undefined,
          "us-east-1",
        ),
      ],
    }),
  }), config.child());

  return { alarms, alarm, errorsAlarm, failuresSentAlarm, processorErrorsAlarm, processorThrottlesAlarm, processorDurationAlarm, deadLetterAlarm, site5xxAlarm, dashboard };
}

export type PrismMonitoring = ReturnType<typeof createMonitoring>;

function widget(x: number, y: number, title: string, metrics: unknown[], annotations?: unknown, widgetRegion = aws.config.region ?? "us-east-1") {
  return {
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region: widgetRegion, metrics, period: 300, view: "timeSeries", annotations },
  };
}
