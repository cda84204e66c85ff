fn main() {
    sp1_build::build_program("../program");
}
