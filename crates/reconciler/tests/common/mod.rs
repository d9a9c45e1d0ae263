//! Shared test support: the moto / shim endpoints, SDK clients without
//! retries, unique names, data setup and a tiny loopback HTTP server.
#![allow(dead_code)]

pub mod fake;
pub mod proxy;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::retry::RetryConfig;
use aws_sdk_autoscaling as asg;
use aws_sdk_cloudwatch as cw;
use aws_sdk_ecs as ecs;
use spotcover_reconciler::adapters::sdk::SdkApi;

/// A variable the test harness (`tools/test`) must export. Fails, never skips.
pub fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: this test needs moto and the CloudWatch CBOR shim. Run it through \
             tools/test, or start `$SPOTCOVER_VENV/bin/moto_server -H 127.0.0.1 -p P` and \
             `python tools/cbor_shim.py --listen 127.0.0.1:Q --upstream http://127.0.0.1:P` and export \
             SPOTCOVER_TEST_MOTO=http://127.0.0.1:P SPOTCOVER_TEST_CLOUDWATCH=http://127.0.0.1:Q"
        ),
    }
}

pub fn moto() -> String {
    required_env("SPOTCOVER_TEST_MOTO")
}

pub fn shim() -> String {
    required_env("SPOTCOVER_TEST_CLOUDWATCH")
}

/// A name no other test (or earlier run against the same moto) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{}-{:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos % 0xffff_ffff
    )
}

pub fn unique_fleet() -> String {
    unique("sfr-test")
}

pub fn now() -> i64 {
    spotcover_reconciler::now()
}

async fn base_conf() -> aws_config::SdkConfig {
    spotcover_reconciler::adapters::sdk::config_loader()
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(asg::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .retry_config(RetryConfig::disabled())
        .load()
        .await
}

pub async fn asg_client(endpoint: &str) -> asg::Client {
    let conf = base_conf().await;
    asg::Client::from_conf(
        asg::config::Builder::from(&conf)
            .endpoint_url(endpoint)
            .build(),
    )
}

pub async fn cw_client(endpoint: &str) -> cw::Client {
    let conf = base_conf().await;
    cw::Client::from_conf(
        cw::config::Builder::from(&conf)
            .endpoint_url(endpoint)
            .build(),
    )
}

pub async fn ecs_client(endpoint: &str) -> ecs::Client {
    let conf = base_conf().await;
    ecs::Client::from_conf(
        ecs::config::Builder::from(&conf)
            .endpoint_url(endpoint)
            .build(),
    )
}

/// The SDK adapter with the given Auto Scaling and CloudWatch endpoints (ECS: moto).
pub async fn api(asg_endpoint: &str, cw_endpoint: &str) -> SdkApi {
    SdkApi {
        autoscaling: asg_client(asg_endpoint).await,
        cloudwatch: cw_client(cw_endpoint).await,
        ecs: ecs_client(asg_endpoint).await,
        ec2: spotcover_reconciler::adapters::ec2::Ec2Query::from_conf(&base_conf().await)
            .with_endpoint(asg_endpoint),
    }
}

/// The adapter against moto (Auto Scaling) and the shim (CloudWatch).
pub async fn moto_api() -> SdkApi {
    api(&moto(), &shim()).await
}

/// Creates a launch configuration and a group in moto; returns the group name.
pub async fn create_group(desired: i32, min: i32, max: i32) -> String {
    let c = asg_client(&moto()).await;
    let name = unique("spotcover-od");
    c.create_launch_configuration()
        .launch_configuration_name(&name)
        .image_id("ami-12c6146b")
        .instance_type("t3.micro")
        .send()
        .await
        .expect("create launch configuration");
    c.create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_configuration_name(&name)
        .min_size(min)
        .max_size(max)
        .desired_capacity(desired)
        .default_cooldown(2700)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("create auto scaling group");
    name
}

/// The group's desired capacity, read from moto.
pub async fn desired_of(group: &str) -> i32 {
    let c = asg_client(&moto()).await;
    let out = c
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .expect("describe");
    out.auto_scaling_groups()[0].desired_capacity().unwrap()
}

/// Puts `(seconds ago, target, fulfilled)` datapoints for a fleet, through the shim.
pub async fn put_fleet(fleet: &str, points: &[(i64, f64, f64)]) {
    use cw::primitives::DateTime;
    use cw::types::{Dimension, MetricDatum};
    let c = cw_client(&shim()).await;
    let now = now();
    let dim = Dimension::builder()
        .name("FleetRequestId")
        .value(fleet)
        .build();
    let mut req = c.put_metric_data().namespace("AWS/EC2Spot");
    for &(ago, t, f) in points {
        for (name, v) in [("TargetCapacity", t), ("FulfilledCapacity", f)] {
            req = req.metric_data(
                MetricDatum::builder()
                    .metric_name(name)
                    .dimensions(dim.clone())
                    .timestamp(DateTime::from_secs(now - ago))
                    .value(v)
                    .build(),
            );
        }
    }
    req.send().await.expect("put metric data through the shim");
}

/// Quiet, fresh fleet metrics: `target` and `fulfilled` every minute for 15 minutes.
pub async fn put_steady_fleet(fleet: &str, target: f64, fulfilled: f64) {
    let points: Vec<_> = (1..=15).map(|m| (m * 60, target, fulfilled)).collect();
    put_fleet(fleet, &points).await;
}

/// One request seen by [`serve`].
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// One answer of [`serve`].
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut len = 0usize;
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            }
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A loopback HTTP/1.1 server answering each request with `handler` (one
/// request per connection, `Connection: close`). Runs until the test ends.
pub fn serve<F>(handler: F) -> SocketAddr
where
    F: Fn(Request) -> Response + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            std::thread::spawn(move || {
                let Some(req) = read_request(&stream) else {
                    return;
                };
                let resp = handler(req);
                let mut out = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    resp.status,
                    resp.body.len()
                );
                for (k, v) in &resp.headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                let _ = stream.write_all(out.as_bytes());
                let _ = stream.write_all(&resp.body);
                let _ = stream.flush();
            });
        }
    });
    addr
}

/// CBOR `{"__type": code}`: an rpc-v2-cbor error body.
pub fn cbor_error(code: &str) -> Vec<u8> {
    assert!(code.len() < 24);
    let mut b = vec![0xa1, 0x66];
    b.extend_from_slice(b"__type");
    b.push(0x60 + code.len() as u8);
    b.extend_from_slice(code.as_bytes());
    b
}

/// An awsQuery (Auto Scaling) XML error body.
pub fn query_error(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>\
         </Error><RequestId>r</RequestId></ErrorResponse>"
    )
}

/// A server that answers every AWS call with `status` and an error body
/// suited to both protocols' content types.
pub fn failing_endpoint(status: u16, code: &'static str) -> String {
    let addr = serve(move |req| {
        if req.path.starts_with("/service/") {
            Response::new(status, "application/cbor", cbor_error(code))
                .header("smithy-protocol", "rpc-v2-cbor")
        } else {
            Response::new(status, "text/xml", query_error(code, "injected"))
        }
    });
    format!("http://{addr}")
}

/// One EC2 Query call to moto with a dummy signature, which moto routes by and does not
/// check (the reconciler has no EC2 client for what the tests set up); the answer.
pub fn ec2_query(body: &str) -> String {
    let moto = moto();
    let host = moto.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).expect("connect to moto");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20261128/us-east-1/ec2/aws4_request, \
         SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Runs one EC2 instance of `instance_type` in moto; returns its id.
pub fn run_instance(instance_type: &str) -> String {
    let out = ec2_query(&format!(
        "Action=RunInstances&Version=2016-11-15&ImageId=ami-12c6146b&MinCount=1&MaxCount=1\
         &InstanceType={instance_type}"
    ));
    let start = out
        .find("<instanceId>")
        .unwrap_or_else(|| panic!("RunInstances: {out}"))
        + "<instanceId>".len();
    let end = start + out[start..].find('<').unwrap();
    out[start..end].to_owned()
}

/// Creates an ECS cluster in moto; returns its name.
pub async fn create_cluster() -> String {
    let name = unique("spotcover-cluster");
    ecs_client(&moto())
        .await
        .create_cluster()
        .cluster_name(&name)
        .send()
        .await
        .expect("create cluster");
    name
}

/// Registers the EC2 instance `ec2_instance_id` as a container instance of
/// `cluster` (moto takes the instance id from the identity document and
/// fills `ecs.instance-type` from its EC2 instance); returns its ARN.
pub async fn register_instance(cluster: &str, ec2_instance_id: &str) -> String {
    let doc = format!(r#"{{"instanceId": "{ec2_instance_id}", "region": "us-east-1"}}"#);
    let out = ecs_client(&moto())
        .await
        .register_container_instance()
        .cluster(cluster)
        .instance_identity_document(doc)
        .send()
        .await
        .expect("register container instance");
    out.container_instance()
        .and_then(|c| c.container_instance_arn())
        .expect("container instance arn")
        .to_owned()
}

/// Status and attributes of a container instance, read from moto.
pub async fn container_instance(
    cluster: &str,
    arn: &str,
) -> (String, std::collections::BTreeMap<String, String>) {
    let out = ecs_client(&moto())
        .await
        .describe_container_instances()
        .cluster(cluster)
        .container_instances(arn)
        .send()
        .await
        .expect("describe container instances");
    let ci = &out.container_instances()[0];
    let attrs = ci
        .attributes()
        .iter()
        .map(|a| {
            (
                a.name().to_owned(),
                a.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    (ci.status().unwrap_or_default().to_owned(), attrs)
}

/// An EventBridge spot interruption warning for `instance_id`.
pub fn warning_event(instance_id: &str) -> serde_json::Value {
    serde_json::json!({
        "version": "0", "id": "7e2b3a4c-0000-4000-8000-000000000000",
        "detail-type": "EC2 Spot Instance Interruption Warning", "source": "aws.ec2",
        "account": "123456789012", "time": "2026-11-28T07:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:ec2:us-east-1a:instance/{instance_id}")],
        "detail": {"instance-id": instance_id, "instance-action": "terminate"}
    })
}

/// Registers `instance` in `cluster` with the `spotcover.capacity` attribute.
pub async fn join(cluster: &str, instance: &str, capacity: &str) -> String {
    let arn = register_instance(cluster, instance).await;
    ecs_client(&moto())
        .await
        .put_attributes()
        .cluster(cluster)
        .attributes(
            ecs::types::Attribute::builder()
                .name(spotcover_reconciler_core::contract::attributes::CAPACITY)
                .value(capacity)
                .target_id(&arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("put capacity attribute");
    arn
}

/// Starts one task on the container instance; returns the task's ARN.
pub async fn start_task(cluster: &str, arn: &str) -> String {
    let c = ecs_client(&moto()).await;
    let family = unique("spotcover-task");
    c.register_task_definition()
        .family(&family)
        .container_definitions(
            ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("public.ecr.aws/docker/library/busybox:latest")
                .memory(64)
                .build(),
        )
        .send()
        .await
        .expect("register task definition");
    let out = c
        .start_task()
        .cluster(cluster)
        .task_definition(&family)
        .container_instances(arn)
        .send()
        .await
        .expect("start task");
    out.tasks()[0].task_arn().unwrap().to_owned()
}

pub async fn stop_task(cluster: &str, task: &str) {
    ecs_client(&moto())
        .await
        .stop_task()
        .cluster(cluster)
        .task(task)
        .send()
        .await
        .expect("stop task");
}

/// A `maintain` Spot Fleet of m6i.large at weight 2 with `target` units; its id.
pub fn request_spot_fleet(target: u32) -> String {
    let out = ec2_query(&format!(
        "Action=RequestSpotFleet&Version=2016-11-15\
         &SpotFleetRequestConfig.IamFleetRole=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ffleet\
         &SpotFleetRequestConfig.TargetCapacity={target}\
         &SpotFleetRequestConfig.Type=maintain\
         &SpotFleetRequestConfig.AllocationStrategy=diversified\
         &SpotFleetRequestConfig.LaunchSpecifications.1.ImageId=ami-12c6146b\
         &SpotFleetRequestConfig.LaunchSpecifications.1.InstanceType=m6i.large\
         &SpotFleetRequestConfig.LaunchSpecifications.1.WeightedCapacity=2"
    ));
    let start = out
        .find("<spotFleetRequestId>")
        .unwrap_or_else(|| panic!("RequestSpotFleet: {out}"))
        + "<spotFleetRequestId>".len();
    let end = start + out[start..].find('<').unwrap();
    out[start..end].to_owned()
}

/// Starts `tasks` tasks of 1 vCPU and 1 GiB on the container instance `arn` (moto
/// takes their resources from the instance, as ECS does).
pub async fn start_tasks(cluster: &str, arn: &str, tasks: usize) {
    let ecs = ecs_client(&moto()).await;
    let family = unique("spotcover-task");
    ecs.register_task_definition()
        .family(&family)
        .cpu("1024")
        .memory("1024")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("public.ecr.aws/docker/library/busybox:latest")
                .cpu(1024)
                .memory(1024)
                .build(),
        )
        .send()
        .await
        .expect("register task definition");
    for _ in 0..tasks {
        ecs.start_task()
            .cluster(cluster)
            .task_definition(&family)
            .container_instances(arn)
            .send()
            .await
            .expect("start task");
    }
}
