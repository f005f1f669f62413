// Placeholder translation unit replaced by the engine lane (snapshot/delta JSON).
