# Copyright: Contributors to the quoin.fargate collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The monitoring role's filter: monitoring_plan (documented in monitoring_plan.yml)."""

# ECS publishes CPU and memory per service; Container Insights (on for the cluster) the task counts.
ECS = "AWS/ECS"
INSIGHTS = "ECS/ContainerInsights"


def prefix_of(model):
    """The prefix every alarm and metric filter of the environment carries."""
    return f"quoin-{model['environment']}/"


def _service_dimensions(stack, service):
    return [{"Name": "ClusterName", "Value": stack["cluster_name"]}, {"Name": "ServiceName", "Value": service}]


def error_metric(model, service):
    """Where a service's error count lands: one metric per service in the environment's namespace."""
    return f"Quoin/{model['environment']}", f"{service}-errors"


def _alarm(model, stack, service, kind, settings, description, **request):
    prefix = prefix_of(model)
    topic = [stack["alert_topic_arn"]]
    alarm = {
        "AlarmName": f"{prefix}{service}/{kind}",
        "AlarmDescription": f"quoin {model['environment']}: {description}",
        "ActionsEnabled": True,
        # The topic hears both the alarm and its return to OK, so nobody has to check whether it cleared.
        "AlarmActions": topic,
        "OKActions": topic,
        "EvaluationPeriods": settings["evaluation_periods"],
    }
    alarm.update(request)
    return alarm


def _alarms(model, stack, svc):
    name, alarms = svc["name"], []
    settings = svc["alarms"]
    dimensions = _service_dimensions(stack, name)
    for kind, metric, what in (("cpu", "CPUUtilization", "CPU"), ("memory", "MemoryUtilization", "memory")):
        s = settings[kind]
        if not s["enabled"]:
            continue
        alarms.append(
            _alarm(
                model, stack, name, kind, s,
                f"{name} {what} above {s['threshold']}% of its reservation for {s['evaluation_periods']} x {s['period']} s",
                Namespace=ECS, MetricName=metric, Dimensions=dimensions, Statistic="Average", Period=s["period"],
                Threshold=float(s["threshold"]), ComparisonOperator="GreaterThanThreshold",
                # No tasks, no data: a stopped service is the running-tasks alarm's concern.
                TreatMissingData="notBreaching",
            )
        )
    s = settings["running_tasks"]
    if s["enabled"]:

        def count(query_id, metric, stat):
            return {
                "Id": query_id,
                "ReturnData": False,
                "MetricStat": {
                    "Metric": {"Namespace": INSIGHTS, "MetricName": metric, "Dimensions": dimensions},
                    "Period": s["period"],
                    "Stat": stat,
                },
            }

        alarms.append(
            _alarm(
                model, stack, name, "running-tasks", s,
                f"{name} runs fewer tasks than desired for {s['evaluation_periods']} x {s['period']} s",
                Metrics=[
                    count("running", "RunningTaskCount", "Minimum"),
                    count("desired", "DesiredTaskCount", "Maximum"),
                    {"Id": "missing", "Expression": "desired - running", "Label": "Tasks below desired", "ReturnData": True},
                ],
                Threshold=0.0, ComparisonOperator="GreaterThanThreshold",
                # Container Insights reports a service as long as it exists; silence means it is gone.
                TreatMissingData="breaching",
            )
        )
    s = settings["errors"]
    if s["enabled"]:
        namespace, metric = error_metric(model, name)
        alarms.append(
            _alarm(
                model, stack, name, "errors", s,
                f"{name} logged more than {s['threshold']} errors in {s['period']} s ({s['evaluation_periods']} x)",
                Namespace=namespace, MetricName=metric, Statistic="Sum", Period=s["period"],
                Threshold=float(s["threshold"]), ComparisonOperator="GreaterThanThreshold",
                TreatMissingData="notBreaching",
            )
        )
    return alarms


def _metric_filters(model, stack):
    prefix = prefix_of(model)
    filters = []
    for svc in model["services"]:
        errors = svc["alarms"]["errors"]
        if not errors["enabled"]:
            continue
        namespace, metric = error_metric(model, svc["name"])
        # All on the stack's one log group (quoin.fargate.cloudwatch_monitoring takes them at once).
        filters.append(
            {
                "filter_name": f"{prefix}{svc['name']}/errors",
                "filter_pattern": errors["pattern"],
                "metric_transformations": [
                    {
                        "metric_name": metric,
                        "metric_namespace": namespace,
                        "metric_value": "1",
                        # Zero when nothing matches, so the alarm sees a quiet service as OK, not as missing data.
                        "default_value": 0.0,
                    }
                ],
            }
        )
    return filters


def _widget(title, x, y, metrics, region, stat=None, period=300, annotations=None):
    properties = {"title": title, "view": "timeSeries", "region": region, "metrics": metrics, "period": period}
    if stat:
        properties["stat"] = stat
    if annotations:
        properties["annotations"] = annotations
    return {"type": "metric", "x": x, "y": y, "width": 6, "height": 6, "properties": properties}


def _dashboard(model, stack, region):
    """One row per service: CPU, memory, running tasks against desired, errors."""
    cluster = stack["cluster_name"]
    widgets = []
    for row, svc in enumerate(model["services"]):
        name, y = svc["name"], row * 6
        namespace, metric = error_metric(model, name)
        widgets += [
            _widget(f"{name} - CPU %", 0, y, [[ECS, "CPUUtilization", "ClusterName", cluster, "ServiceName", name]], region, "Average"),
            _widget(f"{name} - memory %", 6, y, [[ECS, "MemoryUtilization", "ClusterName", cluster, "ServiceName", name]], region, "Average"),
            _widget(
                f"{name} - running / desired tasks", 12, y,
                [
                    [INSIGHTS, "RunningTaskCount", "ClusterName", cluster, "ServiceName", name, {"stat": "Minimum"}],
                    [INSIGHTS, "DesiredTaskCount", "ClusterName", cluster, "ServiceName", name, {"stat": "Maximum"}],
                ],
                region, period=60,
            ),
            _widget(f"{name} - errors", 18, y, [[namespace, metric]], region, "Sum"),
        ]
    return {"widgets": widgets}


def monitoring_plan(model, stack, region):
    """Every alarm, metric filter and the dashboard of an environment, and the prefixes that find the
    ones a removed service left behind."""
    return {
        "prefix": prefix_of(model),
        "alarms": [alarm for svc in model["services"] for alarm in _alarms(model, stack, svc)],
        "metric_filters": _metric_filters(model, stack),
        "dashboard": {"name": f"quoin-{model['environment']}", "body": _dashboard(model, stack, region)},
    }


class FilterModule:
    def filters(self):
        return {"monitoring_plan": monitoring_plan}
