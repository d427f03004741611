// std::visit over a variant with one lambda per alternative.
#pragma once

namespace pmipx::core {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace pmipx::core
