//! TEMPORARY STUB — replaced by the real simulator.
pub const DEMO_USERNAME: &str = "demo-merchant";
pub const DEMO_PASSWORD: &str = "demo-password";
pub struct DemoOrder {
    pub order_id: &'static str,
    pub state: &'static str,
    pub summary: &'static str,
    pub try_this: &'static str,
}
pub fn demo_orders() -> &'static [DemoOrder] {
    &[]
}
#[derive(Clone)]
pub struct Simulator;
impl Simulator {
    pub async fn start_demo() -> std::io::Result<Simulator> {
        Ok(Simulator)
    }
    pub fn base_url(&self) -> String {
        String::new()
    }
}
pub struct SimulatorConfig {
    pub listen: std::net::SocketAddr,
    pub username: String,
    pub password: String,
}
impl Simulator {
    pub async fn start(_c: SimulatorConfig) -> std::io::Result<Simulator> {
        Ok(Simulator)
    }
    pub fn seed_demo_orders(&self) {}
    pub fn shutdown(&self) {}
}
