//! TEMPORARY STUB (replaced by the real engine).
#[derive(Debug, Clone)]
pub struct Template(String);
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("x")]
    X,
}
impl Template {
    pub fn parse(s: &str) -> Result<Self, TemplateError> {
        Ok(Template(s.into()))
    }
    pub fn execute(&self, _d: &serde_json::Value) -> Result<String, TemplateError> {
        Ok(self.0.clone())
    }
}
