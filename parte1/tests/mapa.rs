//! A tabela `servidor.py` → Rust do cabeçalho de `parte1/src/servidor.rs`
//! confere com os dois programas: cada linha Python existe no `servidor.py`
//! da disciplina, cada trecho Rust existe no código (fora do cabeçalho), e
//! os dois lados aparecem na mesma ordem em que a tabela os lista.

#[test]
fn tabela_do_cabecalho_confere_com_o_servidor_py_e_com_o_codigo() {
    apoio::conferir_tabela_python_rust(
        "parte1/src/servidor.rs",
        "common/ferramentas/disciplina/servidor.py",
    );
}
